# Stand-in for OpenWrt's /lib/functions/procd.sh, written for the tests: each
# call the init script makes is appended to $PROCD_LOG as one line, and whether
# the service has a running instance is kept in $TEST_ROOT/procd.running.
# As in procd.sh, closing the service also collects service_triggers.

_procd_log() { echo "$*" >>"$PROCD_LOG"; }
_procd_instances=0

procd_open_service() { _procd_instances=0; _procd_log "open_service $1"; }
procd_open_instance() { _procd_instances=$((_procd_instances + 1)); _procd_log "open_instance"; }
procd_set_param() { _procd_log "set_param $*"; }
procd_append_param() { _procd_log "append_param $*"; }
procd_close_instance() { _procd_log "close_instance"; }
procd_open_trigger() { _procd_log "open_trigger"; }
procd_close_trigger() { _procd_log "close_trigger"; }
procd_add_reload_trigger() { _procd_log "reload_trigger $*"; }
procd_send_signal() { _procd_log "send_signal $*"; }
procd_running() { [ -f "$TEST_ROOT/procd.running" ]; }
procd_kill() { _procd_log "kill $*"; rm -f "$TEST_ROOT/procd.running"; }

procd_close_service() {
	procd_open_trigger
	service_triggers
	procd_close_trigger
	_procd_log "close_service"
	if [ "$_procd_instances" -gt 0 ]; then
		: >"$TEST_ROOT/procd.running"
	else
		rm -f "$TEST_ROOT/procd.running"
	fi
}
