package call

// NameIndex is the agents' display names by id (agents without a name are left out):
// what the board's runner keeps for renders and what pages show agents by.
func NameIndex(agents []Agent) map[string]string {
	n := make(map[string]string, len(agents))
	for _, a := range agents {
		if a.Name != "" {
			n[a.ID] = a.Name
		}
	}
	return n
}
