// Package deploy holds switchboard's container build (deploy/Dockerfile)
// and, in its tests, offline checks of that Dockerfile, the repository's
// .dockerignore and the local stack in docker-compose.yml. The tests need
// no Docker engine; when the docker compose CLI is installed they also
// have it validate the compose file.
package deploy
