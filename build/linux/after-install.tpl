#!/bin/bash
# After install (deb postinst, rpm %post) of Idlewatch: electron-builder's own script
# (app-builder-lib/templates/linux/after-install.tpl) minus one thing, plus nothing.
#
# Kept from it: the Chromium sandbox helper's mode, the desktop database, and the AppArmor
# profile without which Ubuntu 24.04+ refuses Electron's sandbox (unprivileged user namespaces
# are restricted there).
# Left out: the /usr/bin/${executable} link. /usr/bin/idlewatch is the command-line tool, a file
# of this package (like /usr/libexec/idlewatch/idlewatch-keepalive and the polkit action): the
# package manager installs, upgrades and removes those itself, so no script touches them.

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

if hash gtk-update-icon-cache 2>/dev/null; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi

# Install the AppArmor profile (Ubuntu 24+), exactly as electron-builder's script does: only when
# the running AppArmor accepts the bundled profile (Ubuntu 22.04's does not, and needs none).
if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE='/opt/${sanitizedProductName}/resources/apparmor-profile'
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi
exit 0
