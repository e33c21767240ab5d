declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component;
  export default component;
}

/** Stylesheets are bundled by Vite; importing one only adds it to the page. */
declare module '*.css';
