// Package session renders the first-run setup and sign-in pages.
package session

// Errors maps a field name to its message; "" is the form-level message.
type Errors map[string]string

// SetupForm is the first-run form.
type SetupForm struct {
	Token, Email, Name string
	Errors             Errors
}

// LoginForm is the sign-in form.
type LoginForm struct {
	Email, Next string
	Errors      Errors
}
