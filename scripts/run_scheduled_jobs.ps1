# Windows Task Scheduler wrapper for every scheduled job: payment expiry,
# reminders, and sending the queued emails, in that order
# (`manage.py run_scheduled_jobs`). Uses the project's .venv and appends its
# output to logs\scheduled_jobs.log.
#
# Register it to run every minute (see docs/operations.md):
#   schtasks /Create /TN "Doceamor\ScheduledJobs" /SC MINUTE /MO 1 /RU SYSTEM `
#     /TR "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\doceamor\scripts\run_scheduled_jobs.ps1"
#
# Settings come from the environment: set DATABASE_URL, DJANGO_SECRET_KEY,
# EMAIL_HOST and the BOOKING_* variables as system environment variables, or
# in .env.cron (KEY=value lines) in the project folder.
$ErrorActionPreference = "Stop"
$Project = Split-Path -Parent $PSScriptRoot
$LogDir = Join-Path $Project "logs"
$LogFile = Join-Path $LogDir "scheduled_jobs.log"
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
$Output = & $Python (Join-Path $Project "manage.py") run_scheduled_jobs @args 2>&1
$Code = $LASTEXITCODE
Add-Content -Path $LogFile -Value ("$Stamp run_scheduled_jobs" + [Environment]::NewLine + ($Output -join [Environment]::NewLine))
exit $Code
