#!/bin/sh
# Idlewatch's keepalive helper for macOS, run as root through
#   osascript -e 'do shell script "'/Library/Application Support/Idlewatch/idlewatch-keepalive.sh' apply 600000 60000 5" with administrator privileges'
# (main/platform/darwin/elevation.ts). Installed root-owned, mode 755, at that fixed path.
#
#   apply   KEEPIDLE_MS KEEPINTVL_MS KEEPCNT   set the three sysctls now
#   persist KEEPIDLE_MS KEEPINTVL_MS KEEPCNT   set them now and at every boot (LaunchDaemon)
#
# Arguments are digits only, checked again here; nothing else is read (no environment).
# Persistence is a LaunchDaemon rather than /etc/sysctl.conf: Apple documents LaunchDaemons as
# the way to run something as root at boot (launchd.plist(5), e.g.
# http://www.manpagez.com/man/5/launchd.plist/ — RunAtLoad, ProgramArguments; Apple's Daemons and
# Services Programming Guide, https://developer.apple.com/library/archive/documentation/MacOSX/Conceptual/BPSystemStartup/Chapters/DesigningDaemons.html), while /etc/sysctl.conf is undocumented on
# current macOS (not shipped by default; whether boot still reads it is not something we rely
# on). A plist of our own can also be removed cleanly (no verb for that yet: see TODO).
# TODO(issue 10): no source on /etc/sysctl.conf's status on current macOS was found in the
# reference corpora; cite one when found. Also undone: an `unpersist`/`undo` verb.
set -eu
PATH=/usr/bin:/bin:/usr/sbin:/sbin
export PATH
PLIST=/Library/LaunchDaemons/org.idlewatch.keepalive.plist

verb=${1:-}
[ "$#" -eq 4 ] || { echo "usage: $0 apply|persist KEEPIDLE_MS KEEPINTVL_MS KEEPCNT" >&2; exit 2; }
for n in "$2" "$3" "$4"; do
  case $n in '' | *[!0-9]*) echo "not a whole number: $n" >&2; exit 2 ;; esac
  [ "${#n}" -le 9 ] || { echo "out of range: $n" >&2; exit 2; }
done
# Profile limits (shared/profiles.ts): 1–32767 s for idle and interval, 1–255 probes.
[ "$2" -ge 1000 ] && [ "$2" -le 32767000 ] || { echo "keepidle out of range" >&2; exit 2; }
[ "$3" -ge 1000 ] && [ "$3" -le 32767000 ] || { echo "keepintvl out of range" >&2; exit 2; }
[ "$4" -ge 1 ] && [ "$4" -le 255 ] || { echo "keepcnt out of range" >&2; exit 2; }

case $verb in
  apply | persist) ;;
  *) echo "unknown verb: $verb" >&2; exit 2 ;;
esac

/usr/sbin/sysctl -w net.inet.tcp.keepidle="$2" net.inet.tcp.keepintvl="$3" net.inet.tcp.keepcnt="$4"

if [ "$verb" = persist ]; then
  tmp=$(/usr/bin/mktemp /Library/LaunchDaemons/.org.idlewatch.keepalive.XXXXXX)
  /usr/bin/sed -e "s/@KEEPIDLE_MS@/$2/" -e "s/@KEEPINTVL_MS@/$3/" -e "s/@KEEPCNT@/$4/" \
    "/Library/Application Support/Idlewatch/org.idlewatch.keepalive.plist" >"$tmp"
  /usr/sbin/chown root:wheel "$tmp"
  /bin/chmod 644 "$tmp"
  /bin/mv -f "$tmp" "$PLIST"
fi
