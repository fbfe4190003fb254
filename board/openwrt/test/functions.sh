# Stand-in for OpenWrt's /lib/functions.sh, written for the tests: the UCI
# helpers lvsmon.init uses, with OpenWrt's calling conventions. As on OpenWrt,
# config_load evaluates the package file (UCI syntax is shell: config/option/list
# lines) with config/option/list defined as functions that fill CONFIG_* variables.
# It reads $UCI_CONFIG_DIR/<package> (uci's own override of /etc/config).

CONFIG_SECTIONS=
CONFIG_NUM_SECTIONS=0
CONFIG_SECTION=

_uci_name() { # a section or option name must be [A-Za-z0-9_] (uci's rule)
	case $1 in '' | *[!A-Za-z0-9_]*) echo "uci stand-in: bad name '$1'" >&2; exit 99 ;; esac
}

config() { # TYPE [NAME]
	local type=$1 name=${2:-}
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	[ -n "$name" ] || name=$(printf 'cfg%06x' "$CONFIG_NUM_SECTIONS")
	_uci_name "$name"
	CONFIG_SECTIONS="$CONFIG_SECTIONS $name"
	CONFIG_SECTION=$name
	eval "CONFIG_${name}_TYPE=\$type"
}

option() { # NAME VALUE
	_uci_name "$1"
	eval "CONFIG_${CONFIG_SECTION}_$1=\$2"
}

list() { # NAME VALUE
	local n
	_uci_name "$1"
	eval "n=\${CONFIG_${CONFIG_SECTION}_$1_LENGTH:-0}"
	n=$((n + 1))
	eval "CONFIG_${CONFIG_SECTION}_$1_ITEM$n=\$2; CONFIG_${CONFIG_SECTION}_$1_LENGTH=\$n"
}

config_load() { # PACKAGE
	CONFIG_SECTIONS= CONFIG_NUM_SECTIONS=0 CONFIG_SECTION=
	. "${UCI_CONFIG_DIR:-/etc/config}/$1"
}

# config_get VAR SECTION OPTION [DEFAULT]  or  config_get SECTION OPTION (prints)
config_get() {
	case $# in
	2) eval "echo \"\${CONFIG_$1_$2:-}\"" ;;
	*) eval "$1=\${CONFIG_$2_$3:-\${4:-}}" ;;
	esac
}

config_get_bool() { # VAR SECTION OPTION [DEFAULT]
	local _v
	config_get _v "$2" "$3" "${4:-}"
	case $_v in
	1 | on | true | yes | enabled) _v=1 ;;
	0 | off | false | no | disabled) _v=0 ;;
	*) _v=${4:-} ;;
	esac
	eval "$1=\$_v"
}

config_foreach() { # FUNCTION [TYPE] [ARGS...]
	local ___function=$1 ___type=${2:-} section cfgtype
	[ $# -ge 1 ] && shift
	[ $# -ge 1 ] && shift
	for section in $CONFIG_SECTIONS; do
		config_get cfgtype "$section" TYPE
		[ -n "$___type" ] && [ "$cfgtype" != "$___type" ] && continue
		"$___function" "$section" "$@"
	done
}
