"""Sessions in several processes and machines: worker hosts as Ray actors (host.py), their proxies
(remote.py) and the gateway's manager (gateway.py), started by start.py for `gandojo serve
--workers N` or `--ray ADDRESS`. Imports engine/ below it; api/app.py imports start.py lazily."""
