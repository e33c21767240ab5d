#!/bin/bash
# After remove (deb postrm, rpm %postun) of Idlewatch.
#
# Unlike electron-builder's own script, this one acts only when the package is really going
# away. On an rpm upgrade the NEW package's %post runs BEFORE the OLD package's %postun (with
# $1 = 1, the number of versions left), so an unconditional clean-up here would undo what the
# new version just set up — electron-builder's script does exactly that to its /usr/bin link and
# AppArmor profile. deb calls postrm with "remove" or "purge" on removal and "upgrade" (and
# others) otherwise.
#
# The package manager removes the package's own files (/opt/${sanitizedProductName},
# /usr/bin/idlewatch, /usr/libexec/idlewatch/, the polkit action, the desktop entry and icons).
# Keepalive settings an administrator applied stay as they are: the drop-in
# /etc/sysctl.d/99-zz-idlewatch-keepalive.conf and the history in /var/lib/idlewatch/ are the
# administrator's (README: Uninstall); `purge` removes the history.
case "$1" in
  0 | remove | purge) ;;
  *) exit 0 ;;
esac

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  # Unload the profile before deleting it, so it is not left enforced until the next reboot.
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi

if [ "$1" = purge ]; then
  rm -rf /var/lib/idlewatch
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi
exit 0
