// SPDX-License-Identifier: GPL-2.0
/* Single-object module env/penv.o when ../Kbuild's variable is set. */
#include <linux/module.h>
#include <linux/init.h>

static int __init penv_init(void)
{
	return 0;
}

static void __exit penv_exit(void)
{
}

module_init(penv_init);
module_exit(penv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("obj-m as only the running make knows it");
