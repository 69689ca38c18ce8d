/* Out-of-line copies of DPDK's static inline functions (and the per-lcore
 * rte_errno), which bindgen cannot bind. Each one only forwards. */
#ifndef SILKROUTE_SHIM_H
#define SILKROUTE_SHIM_H

#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct rte_lpm;

/* rte_errno of the calling thread. */
int silkroute_shim_rte_errno(void);
/* rte_lcore_id(): the lcore of the calling thread (LCORE_ID_ANY if none). */
unsigned int silkroute_shim_rte_lcore_id(void);

uint16_t silkroute_shim_rte_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
                                         struct rte_mbuf **rx_pkts, uint16_t nb_pkts);
uint16_t silkroute_shim_rte_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
                                         struct rte_mbuf **tx_pkts, uint16_t nb_pkts);

struct rte_mbuf *silkroute_shim_rte_pktmbuf_alloc(struct rte_mempool *mp);
void silkroute_shim_rte_pktmbuf_free(struct rte_mbuf *m);
/* rte_pktmbuf_mtod(m, void *): start of the packet data. */
void *silkroute_shim_rte_pktmbuf_data(struct rte_mbuf *m);
uint16_t silkroute_shim_rte_pktmbuf_data_len(const struct rte_mbuf *m);
void silkroute_shim_rte_pktmbuf_set_data_len(struct rte_mbuf *m, uint16_t len);
uint32_t silkroute_shim_rte_pktmbuf_pkt_len(const struct rte_mbuf *m);
void silkroute_shim_rte_pktmbuf_set_pkt_len(struct rte_mbuf *m, uint32_t len);

/* rte_pktmbuf_free_bulk: frees n mbufs (segments included). */
void silkroute_shim_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int n);
uint16_t silkroute_shim_rte_pktmbuf_headroom(const struct rte_mbuf *m);
uint16_t silkroute_shim_rte_pktmbuf_tailroom(const struct rte_mbuf *m);

/* RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP: the hash over IPv4
 * and IPv6 addresses and TCP/UDP ports (RTE_BIT64 macros bindgen cannot
 * evaluate). */
uint64_t silkroute_shim_rss_ip_tcp_udp(void);

int silkroute_shim_rte_lpm_lookup(const struct rte_lpm *lpm, uint32_t ip, uint32_t *next_hop);
/* rte_lpm_lookup_bulk: next_hops[i] gets the tbl entry of ips[i], with
 * RTE_LPM_LOOKUP_SUCCESS set when a rule matched. */
int silkroute_shim_rte_lpm_lookup_bulk(const struct rte_lpm *lpm, const uint32_t *ips,
                                       uint32_t *next_hops, unsigned int n);

#endif
