// Package jalali converts between the Solar Hijri (Jalali, Persian) calendar that Iran
// uses and the Gregorian calendar.
//
// Iran's calendar is astronomical: a year begins on the day of the March equinox if it
// falls before noon in Tehran, else on the next day. This package uses Borkowski's
// arithmetic approximation of it (the one Iranian software commonly uses), which places
// leap years by a table of 33-year cycle breaks and agrees with the astronomical
// calendar over the years 1 to 3177 AP that Valid accepts; its tests check it against
// published Nowruz dates and round-trip every day from 1300 to 1500 AP. No maintained Go
// module for this is available to the project, so it lives here, small and tested.
package jalali

import (
	"fmt"
	"time"
)

// Date is a day of the Jalali calendar. Month is 1 (Farvardin) to 12 (Esfand).
type Date struct{ Year, Month, Day int }

// breaks are the years (AP) at which the 33-year leap cycle is re-aligned.
var breaks = [...]int{-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
	1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178}

// MinYear and MaxYear bound the years the conversion is defined for.
const (
	MinYear = 1
	MaxYear = 3177
)

// cal returns, for Jalali year jy, how many years have passed since its last leap
// year (0: jy is leap), the Gregorian year it starts in, and the day of March on
// which it starts.
func cal(jy int) (leap, gy, march int) {
	gy = jy + 621
	leapJ := -14
	jp := breaks[0]
	jump := 0
	for i := 1; i < len(breaks); i++ {
		jm := breaks[i]
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += jump/33*8 + jump%33/4
		jp = jm
	}
	n := jy - jp
	leapJ += n/33*8 + (n%33+3)/4
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	leapG := gy/4 - (gy/100+1)*3/4 - 150
	march = 20 + leapJ - leapG
	if jump-n < 6 {
		n = n - jump + (jump+4)/33*33
	}
	leap = ((n+1)%33 - 1) % 4
	if leap == -1 {
		leap = 4
	}
	return leap, gy, march
}

// IsLeap says whether year jy has 366 days (Esfand has 30).
func IsLeap(jy int) bool { l, _, _ := cal(jy); return l == 0 }

// MonthDays is the length of a month of year jy.
func MonthDays(jy, month int) int {
	switch {
	case month <= 6:
		return 31
	case month <= 11:
		return 30
	case IsLeap(jy):
		return 30
	}
	return 29
}

// Valid says whether d is a real day within the supported years.
func (d Date) Valid() bool {
	return d.Year >= MinYear && d.Year <= MaxYear && d.Month >= 1 && d.Month <= 12 &&
		d.Day >= 1 && d.Day <= MonthDays(d.Year, d.Month)
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// nowruz is the Gregorian date (at midnight UTC) of 1 Farvardin of jy.
func nowruz(jy int) time.Time {
	_, gy, march := cal(jy)
	return time.Date(gy, time.March, march, 0, 0, 0, 0, time.UTC)
}

// dayOfYear is the 0-based day of d within its year.
func (d Date) dayOfYear() int {
	if d.Month <= 7 {
		return (d.Month-1)*31 + d.Day - 1
	}
	return 186 + (d.Month-7)*30 + d.Day - 1
}

// Gregorian returns the Gregorian year, month and day of d. d must be Valid.
func (d Date) Gregorian() (int, time.Month, int) {
	t := nowruz(d.Year).AddDate(0, 0, d.dayOfYear())
	return t.Date()
}

// In returns the instant of the given wall clock time on day d in loc.
func (d Date) In(hour, min, sec, nsec int, loc *time.Location) time.Time {
	y, m, day := d.Gregorian()
	return time.Date(y, m, day, hour, min, sec, nsec, loc)
}

// FromGregorian returns the Jalali day of the Gregorian calendar day y-m-d.
func FromGregorian(y int, m time.Month, day int) Date {
	t := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	jy := y - 621
	if t.Before(nowruz(jy)) {
		jy--
	}
	n := int(t.Sub(nowruz(jy)).Hours() / 24)
	if n < 186 {
		return Date{jy, n/31 + 1, n%31 + 1}
	}
	n -= 186
	return Date{jy, n/30 + 7, n%30 + 1}
}

// Of is the Jalali day of t in t's location.
func Of(t time.Time) Date { return FromGregorian(t.Date()) }
