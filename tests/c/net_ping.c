/* A ping socket (SOCK_DGRAM, IPPROTO_ICMP or IPPROTO_ICMPV6 with argument
 * "6"): send one echo request to the loopback address and print the reply.
 * Exits 3 where ping sockets are not allowed (net.ipv4.ping_group_range). */
#include "net_test.h"
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>

int main(int argc, char **argv) {
    int v6 = argc > 1 && strcmp(argv[1], "6") == 0;
    int s = v6 ? socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6) : socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (s < 0) {
        printf("socket: %s\n", strerrorname_np(errno));
        return 3;
    }
    char pkt[64] = {0};
    struct icmphdr *h = (struct icmphdr *)pkt;
    h->type = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
    h->un.echo.sequence = htons(7);
    strcpy(pkt + sizeof *h, "husk-ping");
    struct sockaddr_in a = loopback(0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
    struct sockaddr *to = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a;
    socklen_t tl = v6 ? sizeof a6 : sizeof a;
    if (sendto(s, pkt, sizeof *h + 9, 0, to, tl) < 0) die("sendto");
    char buf[128] = {0};
    struct pollfd p = {s, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) die("poll");
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < (ssize_t)sizeof *h) die("recv");
    struct icmphdr *r = (struct icmphdr *)buf;
    printf("reply: type %d seq %d data %s\n", r->type, ntohs(r->un.echo.sequence), buf + sizeof *r);
    return 0;
}
