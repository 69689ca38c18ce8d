/* See shim.h. Compiled with the cflags pkg-config gives for libdpdk. */
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_lpm.h>

#include "shim.h"

int silkroute_shim_rte_errno(void) { return rte_errno; }

unsigned int silkroute_shim_rte_lcore_id(void) { return rte_lcore_id(); }

uint16_t silkroute_shim_rte_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
                                         struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t silkroute_shim_rte_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
                                         struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

struct rte_mbuf *silkroute_shim_rte_pktmbuf_alloc(struct rte_mempool *mp)
{
	return rte_pktmbuf_alloc(mp);
}

void silkroute_shim_rte_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }

void *silkroute_shim_rte_pktmbuf_data(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, void *); }

uint16_t silkroute_shim_rte_pktmbuf_data_len(const struct rte_mbuf *m) { return rte_pktmbuf_data_len(m); }

void silkroute_shim_rte_pktmbuf_set_data_len(struct rte_mbuf *m, uint16_t len) { m->data_len = len; }

uint32_t silkroute_shim_rte_pktmbuf_pkt_len(const struct rte_mbuf *m) { return rte_pktmbuf_pkt_len(m); }

void silkroute_shim_rte_pktmbuf_set_pkt_len(struct rte_mbuf *m, uint32_t len) { m->pkt_len = len; }

void silkroute_shim_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int n)
{
	rte_pktmbuf_free_bulk(mbufs, n);
}

uint16_t silkroute_shim_rte_pktmbuf_headroom(const struct rte_mbuf *m) { return rte_pktmbuf_headroom(m); }

uint16_t silkroute_shim_rte_pktmbuf_tailroom(const struct rte_mbuf *m) { return rte_pktmbuf_tailroom(m); }

uint64_t silkroute_shim_rss_ip_tcp_udp(void)
{
	return RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
}

int silkroute_shim_rte_lpm_lookup(const struct rte_lpm *lpm, uint32_t ip, uint32_t *next_hop)
{
	return rte_lpm_lookup(lpm, ip, next_hop);
}

int silkroute_shim_rte_lpm_lookup_bulk(const struct rte_lpm *lpm, const uint32_t *ips,
                                       uint32_t *next_hops, unsigned int n)
{
	return rte_lpm_lookup_bulk(lpm, ips, next_hops, n);
}
