package jalali

import (
	"testing"
	"time"
)

// Nowruz (1 Farvardin) in March of the Gregorian year, as Iran's official calendar
// published them for 1339–1414 AP (1960–2035).
var nowruzDays = map[int]int{
	1339: 21, 1340: 21, 1341: 21, 1342: 21, 1343: 21, 1344: 21, 1345: 21, 1346: 21, 1347: 21, 1348: 21,
	1349: 21, 1350: 21, 1351: 21, 1352: 21, 1353: 21, 1354: 21, 1355: 21, 1356: 21, 1357: 21, 1358: 21,
	1359: 21, 1360: 21, 1361: 21, 1362: 21, 1363: 21, 1364: 21, 1365: 21, 1366: 21, 1367: 21, 1368: 21,
	1369: 21, 1370: 21, 1371: 21, 1372: 21, 1373: 21, 1374: 21, 1375: 20, 1376: 21, 1377: 21, 1378: 21,
	1379: 20, 1380: 21, 1381: 21, 1382: 21, 1383: 20, 1384: 21, 1385: 21, 1386: 21, 1387: 20, 1388: 21,
	1389: 21, 1390: 21, 1391: 20, 1392: 21, 1393: 21, 1394: 21, 1395: 20, 1396: 21, 1397: 21, 1398: 21,
	1399: 20, 1400: 21, 1401: 21, 1402: 21, 1403: 20, 1404: 21, 1405: 21, 1406: 21, 1407: 20, 1408: 20,
	1409: 21, 1410: 21, 1411: 20, 1412: 20, 1413: 21, 1414: 21,
}

func TestNowruz(t *testing.T) {
	for jy, day := range nowruzDays {
		y, m, d := Date{jy, 1, 1}.Gregorian()
		if y != jy+621 || m != time.March || d != day {
			t.Errorf("1 Farvardin %d = %d-%02d-%02d, want %d-03-%02d", jy, y, m, d, jy+621, day)
		}
		if got := FromGregorian(jy+621, time.March, day); got != (Date{jy, 1, 1}) {
			t.Errorf("%d-03-%02d = %v, want %d-01-01", jy+621, day, got, jy)
		}
		// the day before Nowruz is the last of Esfand, 30 in a leap year
		prev := FromGregorian(jy+621, time.March, day-1)
		if prev.Year != jy-1 || prev.Month != 12 || prev.Day != MonthDays(jy-1, 12) {
			t.Errorf("eve of Nowruz %d = %v", jy, prev)
		}
	}
}

// Known conversions: the date in Simotel's API documentation and today's examples.
func TestKnownDays(t *testing.T) {
	cases := []struct {
		j       Date
		y, m, d int
	}{
		{Date{1399, 12, 11}, 2021, 3, 1},
		{Date{1405, 9, 9}, 2026, 11, 30},
		{Date{1357, 11, 22}, 1979, 2, 11},
		{Date{1300, 1, 1}, 1921, 3, 21},
		{Date{1403, 12, 30}, 2025, 3, 20},
	}
	for _, c := range cases {
		y, m, d := c.j.Gregorian()
		if y != c.y || int(m) != c.m || d != c.d {
			t.Errorf("%v = %d-%02d-%02d, want %d-%02d-%02d", c.j, y, m, d, c.y, c.m, c.d)
		}
		if got := FromGregorian(c.y, time.Month(c.m), c.d); got != c.j {
			t.Errorf("%d-%02d-%02d = %v, want %v", c.y, c.m, c.d, got, c.j)
		}
	}
}

// Every day from 1 Farvardin 1300 to the end of 1500 converts to consecutive
// Gregorian days and back to itself.
func TestRoundTripEveryDay(t *testing.T) {
	y, m, d := Date{1300, 1, 1}.Gregorian()
	g := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	days := 0
	for jy := 1300; jy <= 1500; jy++ {
		n := 0
		for month := 1; month <= 12; month++ {
			for day := 1; day <= MonthDays(jy, month); day++ {
				j := Date{jy, month, day}
				if !j.Valid() {
					t.Fatalf("%v not valid", j)
				}
				if y, m, d := j.Gregorian(); y != g.Year() || m != g.Month() || d != g.Day() {
					t.Fatalf("%v = %d-%02d-%02d, want %s", j, y, m, d, g.Format("2006-01-02"))
				}
				if back := FromGregorian(g.Date()); back != j {
					t.Fatalf("%s = %v, want %v", g.Format("2006-01-02"), back, j)
				}
				g = g.AddDate(0, 0, 1)
				n++
				days++
			}
		}
		if want := map[bool]int{true: 366, false: 365}[IsLeap(jy)]; n != want {
			t.Fatalf("year %d has %d days, want %d", jy, n, want)
		}
	}
	if days < 201*365 {
		t.Fatalf("only %d days checked", days)
	}
}

func TestValid(t *testing.T) {
	for _, d := range []Date{{1403, 12, 31}, {1402, 12, 30}, {1400, 7, 31}, {1400, 0, 1}, {1400, 13, 1}, {0, 1, 1}, {1400, 1, 0}} {
		if d.Valid() {
			t.Errorf("%v valid", d)
		}
	}
	if !(Date{1403, 12, 30}).Valid() || IsLeap(1402) || !IsLeap(1403) {
		t.Error("1403 is leap, 1402 is not")
	}
}
