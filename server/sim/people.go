package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Each vendor's country: agent names, queues with their dialed numbers, the phone
// numbers callers have there, and pause reasons.
type locale struct {
	names    []string
	queues   [][2]string // queue name, dialed number
	caller   func(r *rand.Rand) string
	pauses   []string
	agent    func(r *rand.Rand, i int, name string) Agent
	agentEvs bool // the vendor reports agent logins and pauses
}

func digits(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// login makes "petr.novak" of "Petr Novák".
func login(name string) string {
	fold := strings.NewReplacer("á", "a", "č", "c", "ď", "d", "é", "e", "ě", "e", "í", "i", "ň", "n", "ó", "o",
		"ř", "r", "š", "s", "ť", "t", "ú", "u", "ů", "u", "ý", "y", "ž", "z", "Č", "c", "Ř", "r", "Š", "s", "Ž", "z")
	return strings.ReplaceAll(fold.Replace(strings.ToLower(name)), " ", ".")
}

var locales = map[string]locale{
	// Iran: mobiles 09xx xxx xxxx, Tehran landlines 021 xxxx xxxx; Simotel extensions.
	"simotel": {
		names:  []string{"Ali Rezaei", "Maryam Ahmadi", "Reza Karimi", "Sara Hosseini", "Mohammad Moradi", "Zahra Jafari", "Hossein Rahimi", "Fatemeh Kazemi"},
		queues: [][2]string{{"900", "02191305588"}, {"902", "02191305500"}},
		caller: func(r *rand.Rand) string {
			if r.IntN(5) == 0 {
				return "021" + fmt.Sprint(2+r.IntN(7)) + digits(r, 7)
			}
			return "09" + pick(r, []string{"12", "13", "19", "35", "36", "37", "01", "02", "03", "90", "91", "21"}) + digits(r, 7)
		},
		pauses: []string{"ناهار", "استراحت", "جلسه", "آموزش"},
		agent: func(r *rand.Rand, i int, name string) Agent {
			return Agent{Ext: fmt.Sprint(991 + i), Name: name}
		},
		agentEvs: true,
	},
	// Czech Republic: nine-digit numbers, mobiles 6xx/7xx; VOIPEX logins, lines, e-mails.
	"voipex": {
		names:  []string{"Petr Novák", "Jana Dvořáková", "Tomáš Černý", "Lucie Svobodová", "Martin Procházka", "Eva Kučerová", "Jan Veselý", "Kateřina Horáková"},
		queues: [][2]string{{"NOC", "222333444"}, {"Podpora", "222333555"}},
		caller: func(r *rand.Rand) string {
			if r.IntN(5) == 0 {
				return "2" + digits(r, 8)
			}
			return pick(r, []string{"777", "775", "776", "602", "603", "604", "605", "606", "608", "720", "721", "731", "734", "737", "739", "773"}) + digits(r, 6)
		},
		pauses: []string{"Oběd", "Porada", "Přestávka", "Školení"},
		agent: func(r *rand.Rand, i int, name string) Agent {
			l := login(name)
			return Agent{Ext: fmt.Sprint(441 + i), Login: l, Email: l + "@jehofirma.cz", Name: name}
		},
		agentEvs: true,
	},
	// United Kingdom, E.164, in Ofcom's ranges for drama (07700 900xxx, 020 7946 0xxx, 0161 496 0xxx).
	"cloudcdr": {
		names:  []string{"Alice Smith", "Bob Jones", "Dave Brown", "Carol White", "Emma Taylor", "Oliver Wilson", "Harry Evans", "Sophie Clarke"},
		queues: [][2]string{{"Support", "+441614960000"}, {"Sales", "+441614960100"}},
		caller: func(r *rand.Rand) string {
			if r.IntN(3) == 0 {
				return "+442079460" + digits(r, 3)
			}
			return "+447700900" + digits(r, 3)
		},
		pauses: []string{"Lunch", "Break"},
		agent: func(r *rand.Rand, i int, name string) Agent {
			return Agent{Ext: fmt.Sprint(301 + i), Name: name}
		},
	},
	// Belarus: +375 29/33/44/25 mobiles; departments on Minsk (17) numbers.
	"sipsim": {
		names:  []string{"Ivan Petrov", "Olga Ivanova", "Sergei Kozlov", "Natalia Smirnova", "Dmitry Volkov", "Anna Novikova", "Pavel Sokolov", "Elena Morozova"},
		queues: [][2]string{{"+375172000100", "+375172000100"}, {"+375172000200", "+375172000200"}},
		caller: func(r *rand.Rand) string {
			return "+375" + pick(r, []string{"29", "33", "44", "25"}) + fmt.Sprint(1+r.IntN(9)) + digits(r, 6)
		},
		pauses: []string{"Обед", "Перерыв"},
		agent: func(r *rand.Rand, i int, name string) Agent {
			return Agent{Ext: fmt.Sprint(101 + i), Name: name, Number: "+37529" + fmt.Sprint(1+r.IntN(9)) + digits(r, 6)}
		},
	},
}

var (
	contactFirst   = []string{"Jane", "Tom", "Laura", "Mark", "Nina", "Victor", "Helen", "Omid", "Pavla", "Yuri"}
	contactLast    = []string{"Example", "Fischer", "Grant", "Hughes", "Keller", "Lambert", "Moreau", "Nash"}
	contactCompany = []string{"Example Ltd", "Example Holdings", "Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "Adventure Works"}
	contactJob     = []string{"Head of Purchasing", "Office Manager", "CTO", "Accountant", "Owner"}
	contactTitle   = []string{"Mr", "Mrs", "Ms", "Dr"}
)

func newContact(r *rand.Rand) *Contact {
	first, last, co := pick(r, contactFirst), pick(r, contactLast), pick(r, contactCompany)
	const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
	id := []byte("0035g00000")
	for range 8 {
		id = append(id, alnum[r.IntN(len(alnum))])
	}
	domain := strings.ToLower(strings.Fields(co)[0]) + ".example"
	return &Contact{Title: pick(r, contactTitle), Name: first + " " + last, Company: co, JobTitle: pick(r, contactJob),
		Email: strings.ToLower(first+"."+last) + "@" + domain, CRMID: string(id)}
}
