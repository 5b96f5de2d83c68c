# nginx in front of the API nodes, rendered at container start from the same template that
# ./spike.sh uses (nginx/spike.conf.template + nginx/render.sh): one source of truth for the config.
# The build context is the repository root:
#   docker build -f docker/nginx.Dockerfile -t spike-nginx:local .
# 1.28 (stable) or later: the compose file sets SPIKE_NGINX_RESOLVER, which puts `resolve` on the
# upstream servers (open-source nginx >= 1.27.3), so a restarted API container's new address is
# picked up without a reload. The Debian-based image has bash, which render.sh needs.
FROM nginx:1.28

COPY nginx/render.sh nginx/spike.conf.template /opt/spike/nginx/
COPY docker/healthcheck.sh /usr/local/bin/spike-healthcheck

# Container defaults; the topology (SPIKE_API_HOSTS / _PORTS / _WEIGHTS, SPIKE_NGINX_RESOLVER) comes
# from compose. Listen on every interface inside the container (Docker publishes the port on the
# host's 127.0.0.1), stay in the foreground, log errors to stderr (docker logs).
ENV SPIKE_NGINX_LISTEN=0.0.0.0 \
    SPIKE_NGINX_PORT=8080 \
    SPIKE_NGINX_DAEMON=off \
    SPIKE_NGINX_ERROR_LOG=stderr

EXPOSE 8080
# Non-root: every path nginx writes is in /tmp/spike-nginx (see the template), and 8080 is not a
# privileged port. The image's user "nginx" (uid 101).
USER nginx
HEALTHCHECK --interval=3s --timeout=3s --start-period=10s --retries=3 \
    CMD spike-healthcheck /nginx/healthz "$SPIKE_NGINX_PORT"
# Render (fails with a clear message, e.g. when the weights and ports lists differ), then nginx
# replaces the shell (PID 1 gets the image's STOPSIGNAL SIGQUIT: graceful shutdown).
ENTRYPOINT ["/bin/bash", "-c", "/opt/spike/nginx/render.sh /tmp/spike-nginx/nginx.conf /tmp/spike-nginx && exec nginx -c /tmp/spike-nginx/nginx.conf -p /tmp/spike-nginx/ -e stderr"]
