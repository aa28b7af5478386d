// SPDX-License-Identifier: MIT
#include <linux/module.h>

static int __init shimtest_init(void) { return 0; }
static void __exit shimtest_exit(void) { }
module_init(shimtest_init);
module_exit(shimtest_exit);
MODULE_LICENSE("Dual MIT/GPL");
