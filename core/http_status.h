/* The reason phrases of the HTTP statuses trechter sends or meets (RFC 9110), in one table for the
 * daemon's replies, its problem titles and the client's messages. Pure. */
#ifndef TRECHTER_HTTP_STATUS_H
#define TRECHTER_HTTP_STATUS_H

/* "Not Found" for 404; NULL for a status the table does not know. */
const char *http_reason(int status);

#endif
