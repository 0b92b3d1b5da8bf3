/* Mapping of HTTP answers to trechter's exit codes (see exit_code.h for the contract). */
#include "client/exit_code.h"

int exit_code_for_status(long status)
{
    if (status >= 200 && status < 300)
        return CLIENT_EXIT_OK;
    if (status == 401 || status == 403)
        return CLIENT_EXIT_AUTH;
    if (status == 429 || (status >= 500 && status < 600))
        return CLIENT_EXIT_FAILURE;
    if (status >= 400 && status < 500)
        return CLIENT_EXIT_REJECTED;
    return CLIENT_EXIT_FAILURE;
}
