package catalog

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost of new password hashes. Cost 10 takes about 50 ms on a
// current x86 core and several hundred milliseconds on a Raspberry Pi 3: slow enough to
// make an offline guess at a stolen config expensive, quick enough for a cashier's login.
const PasswordCost = 10

// MinPasswordLen is the shortest password accepted for a new user.
const MinPasswordLen = 6

// ErrWrongPassword means the password does not match the hash.
var ErrWrongPassword = errors.New("wrong password")

// HashPassword checks a new password's length and returns its bcrypt hash.
func HashPassword(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen {
		return "", fmt.Errorf("password must have at least %d characters", MinPasswordLen)
	}
	if len(password) > 72 {
		return "", errors.New("password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash (ErrWrongPassword when not).
func CheckPassword(hash, password string) error {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return ErrWrongPassword
	}
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	return nil
}
