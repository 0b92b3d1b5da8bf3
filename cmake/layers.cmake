# The folders are floors, and their arrows run one way (docs/ARCHITECTURE.md):
#
#   api/ -> daemon/ -> core/        api/ -> core/        client/ -> core/
#
# Each floor is its own library, and each is compiled with an include path of its own: a folder of
# links under build/layers/<target>/ naming only the floors it may see. `#include "api/request.h"`
# in a daemon/ file therefore fails with "No such file or directory". Headers a floor must not use
# at all (libevent, libpq, libcurl, TLS and sockets for core/) are shadowed there by a header that
# stops the build with #error saying why, because those live on the system include path that no
# target can take away.
#
# trechter_layer(TARGET SEES floor... [FORBIDS header...])
function(trechter_layer target)
  cmake_parse_arguments(L "" "" "SEES;FORBIDS" ${ARGN})
  set(view ${CMAKE_BINARY_DIR}/layers/${target})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view})
  foreach(floor IN LISTS L_SEES)
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${floor} ${view}/${floor} SYMBOLIC)
  endforeach()
  foreach(header IN LISTS L_FORBIDS)
    file(WRITE ${view}/${header}
         "#error \"${target} may not include <${header}>: see cmake/layers.cmake and docs/ARCHITECTURE.md\"\n")
  endforeach()
  target_include_directories(${target} PRIVATE ${view})
endfunction()

# What core/ must never see: it is the domain in pure C. libcrypto's digests (openssl/evp.h and
# friends) are allowed, in core/digest.c, core/cell_key.c and core/token_hash.c only by habit:
# SHA-256 and HMAC are computed, never written by hand (docs/ARCHITECTURE.md, "core/ and OpenSSL").
file(GLOB _libevent_headers RELATIVE /usr/include /usr/include/event2/*.h)
set(TRECHTER_CORE_FORBIDDEN
    ${_libevent_headers} event.h evhttp.h evdns.h evrpc.h evutil.h
    libpq-fe.h libpq-events.h postgresql/libpq-fe.h
    curl/curl.h curl/multi.h curl/easy.h
    openssl/ssl.h openssl/ssl2.h openssl/ssl3.h openssl/tls1.h openssl/dtls1.h openssl/sslerr.h
    sys/socket.h netinet/in.h netinet/tcp.h arpa/inet.h netdb.h sys/un.h)
