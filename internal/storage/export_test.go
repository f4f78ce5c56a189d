package storage

// SetPartSizes sets the size of the parts bodies are sent in and the
// largest body sent in one request, for tests of multipart uploads with
// small bodies, and returns what restores them.
func SetPartSizes(part int, single int64) (restore func()) {
	p, s := partSize, maxSinglePut
	partSize, maxSinglePut = part, single
	return func() { partSize, maxSinglePut = p, s }
}
