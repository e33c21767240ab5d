# Idlewatch keepalive helper for Windows. Run elevated (UAC) by main/platform/win32/elevation.ts:
#   idlewatch-keepalive.ps1 <KeepAliveTime ms> <KeepAliveInterval ms>
# Installed under Program Files (administrators only may write there). It trusts nothing it is
# given: both arguments must be decimal integers from 1 to 4294967295.
# Exit codes: 0 written, 2 arguments refused, 3 reg add failed (the first value may be written).
param(
  [Parameter(Position = 0)][string]$TimeMs,
  [Parameter(Position = 1)][string]$IntervalMs
)
$ErrorActionPreference = 'Stop'

function Test-Dword([string]$Value) {
  if ($Value -notmatch '^[0-9]{1,10}$') { return $false }
  $n = [UInt64]$Value
  return ($n -ge 1 -and $n -le 4294967295)
}

if ($args.Count -ne 0 -or -not (Test-Dword $TimeMs) -or -not (Test-Dword $IntervalMs)) {
  [Console]::Error.WriteLine('usage: idlewatch-keepalive.ps1 <KeepAliveTime ms> <KeepAliveInterval ms> (integers 1-4294967295)')
  exit 2
}

# The system directory from the OS, not from an environment variable.
$reg = Join-Path ([Environment]::GetFolderPath('System')) 'reg.exe'
$key = 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'

foreach ($pair in @(@('KeepAliveTime', $TimeMs), @('KeepAliveInterval', $IntervalMs))) {
  & $reg add $key /v $pair[0] /t REG_DWORD /d $pair[1] /f | Out-Null
  if ($LASTEXITCODE -ne 0) {
    [Console]::Error.WriteLine("reg add $($pair[0]) failed (exit $LASTEXITCODE)")
    exit 3
  }
}
exit 0
