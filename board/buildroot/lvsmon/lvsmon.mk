################################################################################
#
# lvsmon
#
################################################################################

# Built from the checkout this BR2_EXTERNAL tree lives in (board/buildroot is
# two levels below the top). Use as:
#   make BR2_EXTERNAL=/path/to/lvsmon/board/buildroot menuconfig
# The vendored crates come from the committed Cargo.lock (--locked, --offline).
LVSMON_SITE = $(BR2_EXTERNAL_LVSMON_PATH)/../..
LVSMON_SITE_METHOD = local
LVSMON_VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(LVSMON_SITE)/Cargo.toml | head -n 1)
LVSMON_LICENSE = GPL-2.0+
# The repository's .cargo/config.toml holds lvsmon's own cross settings
# (rust-lld, musl sysroots); buildroot links with its own toolchain instead.
LVSMON_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude target --exclude .cargo --exclude cross/sysroot --exclude .git

# A local source is not a download, so buildroot's download post-process does
# not vendor its crates: vendor them here, from Cargo.lock, into the build dir.
# (This step needs network access to crates.io, or a CARGO_HOME cache.)
define LVSMON_CARGO_VENDOR
	cd $(@D) && $(HOST_MAKE_ENV) CARGO_HOME=$(BR_CARGO_HOME) \
		cargo vendor --locked VENDOR >$(@D)/.vendor-config.toml
	mkdir -p $(@D)/.cargo
	mv $(@D)/.vendor-config.toml $(@D)/.cargo/config.toml
endef
LVSMON_POST_RSYNC_HOOKS += LVSMON_CARGO_VENDOR

# pkg-cargo.mk sets LTO and codegen-units from BR2_ENABLE_LTO and its own
# default (16); lvsmon's size budget (cross/SIZES.md) assumes its release
# profile: fat LTO, one codegen unit, opt-level s, panic = abort.
LVSMON_CARGO_ENV = \
	CARGO_PROFILE_RELEASE_LTO=true \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=s

# The exact feature list (Cargo.toml's defaults include tls): the plain build, or
# tls with BR2_PACKAGE_LVSMON_TLS. The build and the install step (cargo install
# builds again) must agree, or the install would rebuild with other features.
LVSMON_CARGO_FEATURES = --no-default-features \
	$(if $(BR2_PACKAGE_LVSMON_TLS),--features tls)
LVSMON_CARGO_BUILD_OPTS = $(LVSMON_CARGO_FEATURES)
LVSMON_CARGO_INSTALL_OPTS = $(LVSMON_CARGO_FEATURES)

# cargo install puts the binary in /usr/bin; the init files call /usr/sbin/lvsmon.
define LVSMON_MOVE_TO_SBIN
	mkdir -p $(TARGET_DIR)/usr/sbin
	mv -f $(TARGET_DIR)/usr/bin/lvsmon $(TARGET_DIR)/usr/sbin/lvsmon
endef
LVSMON_POST_INSTALL_TARGET_HOOKS += LVSMON_MOVE_TO_SBIN

define LVSMON_INSTALL_CONFIG
	$(INSTALL) -D -m 0644 $(LVSMON_PKGDIR)/lvsmon.conf $(TARGET_DIR)/etc/lvsmon.conf
endef
LVSMON_POST_INSTALL_TARGET_HOOKS += LVSMON_INSTALL_CONFIG

ifeq ($(BR2_PACKAGE_LVSMON_IPVSADM),y)
define LVSMON_INSTALL_IPVSADM
	ln -sf lvsmon $(TARGET_DIR)/usr/sbin/ipvsadm
endef
LVSMON_POST_INSTALL_TARGET_HOOKS += LVSMON_INSTALL_IPVSADM
endif

define LVSMON_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(LVSMON_PKGDIR)/../../init/lvsmon.sysvinit \
		$(TARGET_DIR)/etc/init.d/S90lvsmon
endef

define LVSMON_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(LVSMON_PKGDIR)/../../init/lvsmon.service \
		$(TARGET_DIR)/usr/lib/systemd/system/lvsmon.service
endef

$(eval $(cargo-package))
