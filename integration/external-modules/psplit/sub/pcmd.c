// SPDX-License-Identifier: GPL-2.0
/* Single-object module sub/pcmd.o when ../Kbuild's variable is set. */
#include <linux/module.h>
#include <linux/init.h>

static int __init pcmd_init(void)
{
	return 0;
}

static void __exit pcmd_exit(void)
{
}

module_init(pcmd_init);
module_exit(pcmd_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("obj-m as only the running make knows it");
