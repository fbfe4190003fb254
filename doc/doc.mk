# Documentation and installation. Included from the top Makefile (-include doc/doc.mk).
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [INSTALL_IPVSADM_LINK=1] [LVSMON_BIN=path]
#       $(DESTDIR)$(PREFIX)/sbin/lvsmon                  the release binary (built first
#                                                        unless LVSMON_BIN names one)
#       $(DESTDIR)$(PREFIX)/sbin/ipvsadm -> lvsmon       only with INSTALL_IPVSADM_LINK=1
#       $(DESTDIR)$(PREFIX)/share/man/man8/lvsmon.8.gz   gzip -9n (reproducible)
#       $(DESTDIR)$(PREFIX)/share/man/man5/lvsmon.conf.5.gz
#       $(DESTDIR)/etc/lvsmon.conf.example               never /etc/lvsmon.conf itself
#   make doc-check
#       lints both man pages (mandoc -W style and/or groff -ww: one must be installed),
#       checks them against `lvsmon --help`, the config parser and limits.rs, checks the
#       example configs and `make install` (tests/doc_pages.rs, tests/doc_install.rs;
#       `make test` runs them with the other integration tests).

PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_IPVSADM_LINK ?= 0
LVSMON_BIN ?=
INSTALL ?= install
GZIP ?= gzip

ifeq ($(strip $(LVSMON_BIN)),)
INSTALL_BIN := target/release/lvsmon
INSTALL_BIN_DEP := build
else
INSTALL_BIN := $(LVSMON_BIN)
INSTALL_BIN_DEP :=
endif

DOC_SBIN := $(DESTDIR)$(PREFIX)/sbin
DOC_MAN5 := $(DESTDIR)$(PREFIX)/share/man/man5
DOC_MAN8 := $(DESTDIR)$(PREFIX)/share/man/man8
DOC_ETC := $(DESTDIR)/etc

.PHONY: install doc-check

install: $(INSTALL_BIN_DEP)
	$(INSTALL) -d -m 0755 $(DOC_SBIN) $(DOC_MAN5) $(DOC_MAN8) $(DOC_ETC)
	$(INSTALL) -m 0755 $(INSTALL_BIN) $(DOC_SBIN)/lvsmon
	if [ "$(INSTALL_IPVSADM_LINK)" = 1 ]; then ln -sf lvsmon $(DOC_SBIN)/ipvsadm; fi
	$(GZIP) -9n -c doc/lvsmon.8 > $(DOC_MAN8)/lvsmon.8.gz
	$(GZIP) -9n -c doc/lvsmon.conf.5 > $(DOC_MAN5)/lvsmon.conf.5.gz
	chmod 0644 $(DOC_MAN8)/lvsmon.8.gz $(DOC_MAN5)/lvsmon.conf.5.gz
	$(INSTALL) -m 0644 doc/lvsmon.conf.example $(DOC_ETC)/lvsmon.conf.example

doc-check:
	$(CARGO) test --test doc_pages --test doc_install
