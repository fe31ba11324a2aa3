package plugin

import "github.com/certgate/certgate/shared"

// Identity header slots.
const (
	idCN = iota
	idAlias
	idAuthMethod
	idClientID
	idAPI
	idUser
	numIdentity
)

// identityHeaders returns the identity header names for a prefix.
func identityHeaders(prefix string) [numIdentity]string {
	return [numIdentity]string{
		idCN:         prefix + shared.IdentityCN,
		idAlias:      prefix + shared.IdentityAlias,
		idAuthMethod: prefix + shared.IdentityAuthMethod,
		idClientID:   prefix + shared.IdentityClientID,
		idAPI:        prefix + shared.IdentityAPI,
		idUser:       prefix + shared.IdentityUser,
	}
}
