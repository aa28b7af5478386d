SUMMARY = "Linux 6.13, the first release with kbuild's ThinLTO-losing relink (parse-only test recipe)"
DESCRIPTION = "A kernel recipe of one's own, as teams that shipped 6.13 wrote it: \
there is no linux-yocto 6.13. Only parsed (bitbake -e / -g); never fetched."
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://COPYING;md5=6bc538ed5bd9a7fc9398086aedcd7e46"

inherit kernel

# v6.13; a full hash, so parsing needs no network to resolve it.
SRC_URI = "git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git;protocol=https;branch=master"
SRCREV = "ffd294d346d185b70e28b1a28abe367bbfe53c04"
LINUX_VERSION = "6.13"
PV = "${LINUX_VERSION}"
S = "${WORKDIR}/git"
KBUILD_DEFCONFIG = "defconfig"
COMPATIBLE_MACHINE = "qemuarm64"
