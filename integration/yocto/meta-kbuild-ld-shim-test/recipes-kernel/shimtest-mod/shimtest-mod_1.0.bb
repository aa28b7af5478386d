SUMMARY = "An out-of-tree module, built like meta-skeleton's hello-mod (parse-only test recipe)"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COREBASE}/meta/COPYING.MIT;md5=3da9cfbcb788c80a0384361b4de20420"

inherit module

SRC_URI = "file://Makefile file://shimtest.c"
# UNPACKDIR exists from styhead on; scarthgap unpacks into WORKDIR.
S = "${@d.getVar('UNPACKDIR') or d.getVar('WORKDIR')}"

RPROVIDES:${PN} += "kernel-module-shimtest"
