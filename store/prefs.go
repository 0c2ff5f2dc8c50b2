package store

import bolt "go.etcd.io/bbolt"

// SetPref keeps one of a person's choices (their language...); an empty value
// forgets it.
func (s *Store) SetPref(user, key, value string) error {
	k := []byte(user + "\x00" + key)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bPrefs)
		if value == "" {
			return b.Delete(k)
		}
		return b.Put(k, []byte(value))
	})
	return unavailable(err)
}

// Pref is a person's kept choice for key, "" when none.
func (s *Store) Pref(user, key string) (string, error) {
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bPrefs).Get([]byte(user + "\x00" + key)))
		return nil
	})
	return v, unavailable(err)
}
