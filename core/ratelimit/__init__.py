"""Rate limiting: sliding-window limits per user, guild, channel and globally, with escalating
temporary blocks for members who keep hitting them.

Algorithm: a sliding window log. A limit ``"5/60s"`` means at most 5 accepted requests in
*any* 60-second window — there is no 2x burst at a fixed-window boundary — and a denial's
``retry_after`` is exact: the moment the oldest counted request leaves the window. A request
counts against every bucket only if all its buckets accept it (checked atomically).

Buckets of one interaction (``RateLimitSettings``):

- ``user``: per member and per command or command group. ``commands`` maps a command or group
  (``"bet"``, ``"bet straight"``) to a limit; the most specific match of the interaction's
  ``bucket_key`` wins and names the bucket (so a group's commands share it); commands without a
  match each get their own ``default`` bucket.
- ``guild``, ``channel``, ``global``: optional limits shared by all commands of a guild, a
  channel, or the whole bot.

After ``block_after`` denials within ``block_window`` a member is blocked for ``block_seconds``;
a new block within a day of the previous one doubles (capped at a day). The start of a block is
reported once through ``on_block`` (the pipeline emits ``SecurityEvent(kind="rate_limit_block")``,
see :func:`block_event`). Owners are never limited.

Backends: memory (one process) or Redis (shared by all processes: one Lua script checks all
buckets of a request in one round trip, atomically). When Redis is unreachable the limiter falls
back to its in-process limits through the core's circuit breaker (:mod:`core.breaker`, as the
cache does), logs it once, reports itself unhealthy and probes Redis again after a few seconds.
Time is the wall clock (``clock``), shared by processes.

The modules, one job each: :mod:`~core.ratelimit.limits` (limit strings, buckets, the block
policy), :mod:`~core.ratelimit.stores` (the memory store and the Redis script),
:mod:`~core.ratelimit.limiter` (:class:`~core.ratelimit.limiter.RateLimiter`),
:mod:`~core.ratelimit.hooks` (the default hook implementations and the block event),
:mod:`~core.ratelimit.messages` (what a refused member reads) and :mod:`~core.ratelimit.web`
(the web server's middleware).
"""
