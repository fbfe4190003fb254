# Stand-in for the packages feed's lang/rust/rust-package.mk in the package Makefile
# tests: the same Build/Compile/Cargo signature and feature handling ($(1) path,
# $(2) extra cargo arguments, RUST_PKG_FEATURES -> --features), printing the cargo
# command instead of running it.
RUST_ARCH_DEPENDS:=@(aarch64||arm||i386||i686||mips||mipsel||mips64||mips64el||powerpc64||riscv64||x86_64)
CARGO_PKG_ARGS:=--offline --locked

define Build/Compile/Cargo
	echo cargo install -v --profile stripped $(if $(strip $(RUST_PKG_FEATURES)),--features "$(strip $(RUST_PKG_FEATURES))") --root $(PKG_INSTALL_DIR) --path "$(if $(strip $(1)),$(strip $(1)),.)" $(CARGO_PKG_ARGS) $(2)
endef

define RustBinPackage
endef

Build/Compile=$(call Build/Compile/Cargo)
