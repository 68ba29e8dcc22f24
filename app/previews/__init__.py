"""Link previews: find a room message's first link, fetch its page through the outbound guard
in the background, parse its OpenGraph / Twitter-card tags, and show a card under the message."""
