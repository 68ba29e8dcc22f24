"""The WebSocket close codes Parley sends (RFC 6455, section 7.4.1), defined once.

The page's socket script tells them apart: 1008 means do not retry (refused, logged out,
deactivated); 4029 means this tab was closed for a newer one (it offers to reconnect);
the others mean reconnect and catch up.
"""

CLOSE_INVALID = 1007  # the request was malformed (a bad room id, say)
CLOSE_POLICY = 1008  # refused or shut out, or a flood of pings: do not retry
CLOSE_TOO_BIG = 1009  # a client frame over the limit
CLOSE_INTERNAL_ERROR = 1011  # a send failed on our side
CLOSE_SERVICE_RESTART = 1012  # this process stops, or the bus lost events: reconnect and catch up
CLOSE_TRY_AGAIN_LATER = 1013  # a client too far behind, or a refusal worth retrying later
# The person (or browser) opened more sockets than allowed: this, their oldest, was closed to
# make room. The page does not reconnect by itself (static/js/live.js offers a button).
CLOSE_TOO_MANY_SOCKETS = 4029
