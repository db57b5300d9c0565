# Windows Task Scheduler wrapper for the payment-timeout job.
# Uses the project's .venv and appends its output to logs\expire_unpaid_bookings.log.
#
# Register it to run every 2 minutes (see docs/operations.md):
#   schtasks /Create /TN "Doceamor\ExpireUnpaidBookings" /SC MINUTE /MO 2 /RU SYSTEM `
#     /TR "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\doceamor\scripts\expire_unpaid_bookings.ps1"
#
# Settings come from the environment: set DATABASE_URL, DJANGO_SECRET_KEY and
# the BOOKING_* variables as system environment variables, or in .env.cron
# (KEY=value lines) in the project folder.
$ErrorActionPreference = "Stop"
$Project = Split-Path -Parent $PSScriptRoot
$LogDir = Join-Path $Project "logs"
$LogFile = Join-Path $LogDir "expire_unpaid_bookings.log"
New-Item -ItemType Directory -Force -Path $LogDir | Out-Null

$EnvFile = Join-Path $Project ".env.cron"
if (Test-Path $EnvFile) {
    foreach ($line in Get-Content $EnvFile) {
        if ($line -match '^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$') {
            [Environment]::SetEnvironmentVariable($Matches[1], $Matches[2], "Process")
        }
    }
}
if (-not $env:DJANGO_SETTINGS_MODULE) { $env:DJANGO_SETTINGS_MODULE = "config.settings.prod" }

$Python = Join-Path $Project ".venv\Scripts\python.exe"
$Stamp = (Get-Date).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ")
$Output = & $Python (Join-Path $Project "manage.py") expire_unpaid_bookings @args 2>&1
$Code = $LASTEXITCODE
Add-Content -Path $LogFile -Value ("$Stamp " + ($Output -join [Environment]::NewLine))
exit $Code
