# Shared by run and the go wrapper.

# in_sample FILE LINE: whether the mutants on that line belong to the
# sample $MUTATION_SAMPLE ("k/n": the lines whose cksum of "FILE:LINE" is
# below k modulo n; unset or empty means every line).
in_sample() {
	[[ -z ${MUTATION_SAMPLE-} ]] && return 0
	local sum
	sum=$(printf '%s:%s' "$1" "$2" | cksum)
	((${sum%% *} % ${MUTATION_SAMPLE#*/} < ${MUTATION_SAMPLE%/*}))
}
