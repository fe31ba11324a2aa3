module github.com/certgate/certgate/shared

go 1.24
