# Stand-in for OpenWrt's include/package.mk in the package Makefile tests: BuildPackage
# evaluates a package's definition as the real one does (the fields as make variables,
# reset between packages) and prints the fields the variants depend on; `make compile`
# runs Build/Compile for $(BUILD_VARIANT).
define Package/Default
  TITLE:=
  VARIANT:=
  DEFAULT_VARIANT:=
  PROVIDES:=
  CONFLICTS:=
  DEPENDS:=
  EXTRA_DEPENDS:=
endef

define BuildPackage
$(eval $(Package/Default))
$(eval $(Package/$(1)))
$(info package $(1): variant=$(VARIANT) default_variant=$(DEFAULT_VARIANT) provides=$(PROVIDES) conflicts=$(CONFLICTS) depends=$(strip $(DEPENDS)) extra_depends=$(EXTRA_DEPENDS) title=$(strip $(TITLE)))
endef

.PHONY: metadata compile
metadata:
	@:
compile:
	@$(Build/Compile)
