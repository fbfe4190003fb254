# The drift scenario through the setsockopt interface.
API=sockopt
. /scenarios/lvsmon-drift.sh
