# Stand-in for an OpenWrt tree's rules.mk in the package Makefile tests
# (board/openwrt/test/run.sh): only what lvsmon/Makefile reads.
INCLUDE_DIR:=$(TOPDIR)/include
PKG_INSTALL_DIR:=/pkg-install
