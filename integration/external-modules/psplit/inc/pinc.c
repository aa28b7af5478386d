// SPDX-License-Identifier: GPL-2.0
/* Single-object module inc/pinc.o when ../Kbuild's variable is set. */
#include <linux/module.h>
#include <linux/init.h>

static int __init pinc_init(void)
{
	return 0;
}

static void __exit pinc_exit(void)
{
}

module_init(pinc_init);
module_exit(pinc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("obj-m as only the running make knows it");
