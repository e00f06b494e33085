# Helpers for driving the real Brug window under Xvfb with xdotool, shared
# by scripts/ui-smoke and scripts/ui-sizes. Sourced; expects $me (the
# script's name), $display, $shots and $work; $crop (WxH+0+0) crops
# screenshots to the window, $app_err names the app's error log.
step() { echo "$me: $*" >&2; }
shot() {
    DISPLAY=$display import -window root ${crop:+-crop "$crop"} "$shots/$1.png"
    step "screenshot $shots/$1.png"
}
fail() { echo "$me: MISLUKT / FAILED: $*" >&2; shot 99-failure || true; tail -20 "${app_err:-$work/app.err}" >&2 || true; exit 1; }
# Waits until a command succeeds (polling), at most $1 seconds.
wait_for() {
    local limit=$1; shift
    local until=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $until ] || return 1
        sleep 0.5
    done
}
key() { DISPLAY=$display xdotool key --delay 120 "$@"; }
# What the screen shows, as a hash; the app is driven by what it shows,
# not by fixed waits.
screen_hash() { DISPLAY=$display import -window root rgb:- 2>/dev/null | md5sum | cut -c1-32; }
# Waits (at most 30 s) until the screen differs from the hash $1 and then
# holds still for two looks in a row.
settle_after() {
    local before=$1 until=$((SECONDS + 30)) prev="" cur
    while [ $SECONDS -lt $until ]; do
        cur=$(screen_hash)
        [ "$cur" != "$before" ] && [ "$cur" = "$prev" ] && return 0
        prev=$cur
        sleep 0.4
    done
    return 1
}
# The page is drawn once the window shows text (many colours), not just
# an empty frame.
# The window's title names the screen ("Brug — Dossiers").
title_is() { DISPLAY=$display xdotool search --name "^Brug — $1\$" >/dev/null 2>&1; }
# For screens that fill in from the server: if the screen changes within
# 5 s, wait for it to settle again.
settle_again() {
    local h until=$((SECONDS + 5))
    h=$(screen_hash)
    while [ $SECONDS -lt $until ]; do
        [ "$(screen_hash)" != "$h" ] && { settle_after "$h" || true; return; }
        sleep 0.4
    done
}
page_drawn() { [ "$(DISPLAY=$display import -window root -format %k info: 2>/dev/null)" -gt 100 ]; }
type_slow() { DISPLAY=$display xdotool type --delay 120 "$1"; }
