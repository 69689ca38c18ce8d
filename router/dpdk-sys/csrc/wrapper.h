/* Everything silkroute binds from DPDK 22.11, for bindgen. rte_config.h
 * first: pkg-config's cflags force-include it, bindgen does not. */
#include <rte_config.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "shim.h"
