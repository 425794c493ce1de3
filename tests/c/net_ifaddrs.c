/* glibc's getifaddrs (netlink RTM_GETLINK/RTM_GETADDR dumps): prints each
 * interface with an IPv4 or IPv6 address. */
#include "net_test.h"
#include <ifaddrs.h>
#include <net/if.h>

int main(void) {
    struct ifaddrs *ifa;
    if (getifaddrs(&ifa) < 0) die("getifaddrs");
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        char txt[64];
        int f = i->ifa_addr->sa_family;
        if (f == AF_INET)
            inet_ntop(f, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, txt, sizeof txt);
        else if (f == AF_INET6)
            inet_ntop(f, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, txt, sizeof txt);
        else
            continue;
        printf("%s %s %s up=%d\n", i->ifa_name, f == AF_INET ? "AF_INET" : "AF_INET6", txt, !!(i->ifa_flags & IFF_UP));
    }
    freeifaddrs(ifa);
    printf("if_nameindex-lo: %u\n", if_nametoindex("lo"));
    return 0;
}
