//go:build !linux

package store

// ReleaseMapped is a no-op outside Linux: the resident share of a file map is the
// kernel's to manage there.
func (s *Store) ReleaseMapped() error { return nil }
