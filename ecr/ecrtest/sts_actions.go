// The STS actions the fake answers (GetCallerIdentity, AssumeRole) and the
// deterministic ids, keys and ARNs it issues.

package ecrtest

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// --- actions ------------------------------------------------------------------

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

func (f *Fake) getCallerIdentity(cred SigV4Credential) callerIdentityResult {
	f.mu.Lock()
	s, ok := f.sts.issued[cred.AccessKeyID]
	f.mu.Unlock()
	if ok {
		return callerIdentityResult{Arn: s.assumedRoleARN(), UserID: s.roleID + ":" + s.sessionName, Account: s.account}
	}
	return callerIdentityResult{
		Arn:     "arn:" + partitionOf(cred.Region) + ":iam::" + f.cfg.accountID + ":user/" + UserName(cred.AccessKeyID),
		UserID:  "AIDA" + idChars("user/"+cred.AccessKeyID, 17),
		Account: f.cfg.accountID,
	}
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
}

var (
	roleARN     = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// assumeRole validates c, enforces the configured requirements and issues
// credentials. expired makes them expire an hour before now (FaultExpiredAuth).
func (f *Fake) assumeRole(c *STSCall, expired bool) (assumeRoleResult, *stsError) {
	var res assumeRoleResult
	m := roleARN.FindStringSubmatch(c.RoleArn)
	if m == nil {
		return res, validationError("%q is not a valid IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", c.RoleArn)
	}
	if !sessionName.MatchString(c.RoleSessionName) {
		return res, validationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]{2,64}", c.RoleSessionName)
	}
	d := DefaultRoleSessionDuration
	if c.DurationSeconds != 0 {
		d = time.Duration(c.DurationSeconds) * time.Second
		if d < MinRoleSessionDuration || d > MaxRoleSessionDuration {
			return res, validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d",
				c.DurationSeconds, int(MinRoleSessionDuration/time.Second), int(MaxRoleSessionDuration/time.Second))
		}
	}
	if c.CallerRole != "" && d > MaxChainedSessionDuration {
		return res, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}

	denied := senderError(http.StatusForbidden, "AccessDenied", fmt.Sprintf(
		"User: %s is not authorized to perform: sts:AssumeRole on resource: %s", f.callerARN(c), c.RoleArn))
	if want, ok := f.cfg.sts.externalID[c.RoleArn]; ok && c.ExternalID != want {
		return res, denied
	}
	if want, ok := f.cfg.sts.mfa[c.RoleArn]; ok {
		if c.SerialNumber == "" || c.TokenCode == "" {
			return res, denied
		}
		if c.SerialNumber != want.serial || c.TokenCode != want.code {
			return res, senderError(http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
		}
	}

	return f.issueSession(c, m, d, expired), nil
}

// callerARN is the ARN of the principal that signed c, for messages.
func (f *Fake) callerARN(c *STSCall) string {
	return f.getCallerIdentity(SigV4Credential{AccessKeyID: c.AccessKeyID, Region: c.Region}).Arn
}

// partitionOf returns the partition of a region name (the common ones).
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// hashBytes returns n deterministic bytes derived from seed.
func hashBytes(seed string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		sum := sha256.Sum256([]byte(seed + "/" + strconv.Itoa(i)))
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// idChars returns n upper-case base32 characters derived from seed, the
// alphabet of AWS access key and unique ids.
func idChars(seed string, n int) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(hashBytes(seed, n))[:n]
}
