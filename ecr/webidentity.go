package ecr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// PodSessionName is the RoleSessionName of AssumeRoleWithWebIdentity, the
// same as cloud-provider-aws's ecr-credential-provider (trust policies and
// CloudTrail queries written for it keep working).
const PodSessionName = "ecr-credential-provider"

// PodCredentials is Credentials for a pod: the token is had as pod's role,
// assumed with its service account token, through the same cache, lock and
// fetch path. It never falls back to the node's identity. A per-registry
// mapping still maps the host (a registry: alias), but its profile and
// role are not used: the service account names the identity.
func (h *Helper) PodCredentials(ctx context.Context, serverURL string, pod *WebIdentity) (Credentials, error) {
	if pod == nil {
		return Credentials{}, errors.New("no pod identity")
	}
	return h.serveToken(ctx, serverURL, pod)
}

// Now is the Helper's clock.
func (h *Helper) Now() time.Time { return h.now() }

// fetchAsPod assumes pod's role with its token (STS in reg's region;
// AWS_ENDPOINT_URL_STS applies) and asks ECR or ECR Public as that role. The
// token it returns expires no later than the assumed-role session.
func (f *SDKFetcher) fetchAsPod(ctx context.Context, cfg aws.Config, reg Registry, pod *WebIdentity, last *lastError) (Token, error) {
	creds, err := f.podSession(ctx, cfg, reg, pod)
	if err != nil {
		return Token{}, err
	}
	session := creds.Expires
	cfg.Credentials = credentials.StaticCredentialsProvider{Value: creds}
	var tok Token
	if reg.Service == ServicePublic {
		tok, err = fetchPublic(ctx, ecrpublic.NewFromConfig(cfg))
	} else {
		tok, err = fetchPrivate(ctx, ecr.NewFromConfig(cfg))
	}
	if err != nil && ctx.Err() != nil && last.get() != nil {
		err = &stagedError{stageAPI, &gaveUpError{last: last.get(), err: err, attempts: last.count()}}
	}
	if err != nil {
		return tok, err
	}
	// A token minted with temporary credentials is good only while they are.
	if session.Before(tok.ExpiresAt) {
		tok.ExpiresAt = session
	}
	return tok, nil
}

// podSession returns the assumed-role session of pod: from the 0600 cache
// while less than half of it is used (another region or ECR Public of the
// same service account shares it), else from STS, then cached. Its key has
// the same parts as the token's (role, issuer, subject, STS endpoint) plus
// the partition, never the service account token.
func (f *SDKFetcher) podSession(ctx context.Context, cfg aws.Config, reg Registry, pod *WebIdentity) (aws.Credentials, error) {
	id, err := pod.Identity(f.env)
	if err != nil {
		return aws.Credentials{}, err
	}
	key := local.PodSessionKey(id, reg.Partition)
	if e, ok := f.sessions.Session(key); ok {
		secret, token, _ := strings.Cut(e.Password, "\n")
		return aws.Credentials{AccessKeyID: e.Username, SecretAccessKey: secret, SessionToken: token,
			Source: "ecr-login pod session cache", CanExpire: true, Expires: e.ExpiresAt}, nil
	}
	// STS has FIPS endpoints where ECR has them, but no dual-stack ones.
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateUnset
	})
	start := f.now()
	out, err := client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(pod.RoleARN), RoleSessionName: aws.String(PodSessionName),
		WebIdentityToken: aws.String(pod.Token()),
	})
	if err != nil {
		if fe := podSTSRefusal(err, reg, pod); fe != nil {
			return aws.Credentials{}, fe
		}
		// classify names the role and the service account (identity's Description).
		return aws.Credentials{}, &stagedError{stageCredentials, scrubbed{err, pod.Token()}}
	}
	c := out.Credentials
	if c == nil || c.Expiration == nil || aws.ToString(c.AccessKeyId) == "" {
		return aws.Credentials{}, &stagedError{stageCredentials, errors.New("STS AssumeRoleWithWebIdentity answered without credentials")}
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: c.Expiration.UTC()}
	if f.store != nil {
		// A session that cannot be kept only costs an STS call next time.
		_ = f.sessions.Put(ctx, key, sessionEntry(id, creds, start))
	}
	return creds, nil
}

// podSTSRefusal turns STS refusing the pod's token into an error a cluster
// admin can act on, or nil when STS did not refuse (network, throttling...).
func podSTSRefusal(err error, reg Registry, pod *WebIdentity) *FetchError {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	code, msg := apiErr.ErrorCode(), strings.TrimSpace(apiErr.ErrorMessage())
	issuer := strings.TrimPrefix(pod.Issuer, "https://")
	who := fmt.Sprintf("service account %s (issuer %s)", pod.ServiceAccount(), pod.Issuer)
	fe := &FetchError{Registry: reg.Host, Err: scrubbed{err, pod.Token()}}
	switch code {
	case "AccessDenied", "AccessDeniedException":
		fe.Kind = ErrAccessDenied
		fe.Message = fmt.Sprintf("STS refused to let %s assume role %s (%s: %s); the role's trust policy must allow "+
			"sts:AssumeRoleWithWebIdentity for the federated principal of that issuer with conditions %q = %q and %q = %q. "+
			"The node's identity is not used instead",
			who, pod.RoleARN, code, msg, issuer+":sub", pod.Subject, issuer+":aud", "sts.amazonaws.com")
	case "InvalidIdentityToken", "IDPRejectedClaim":
		fe.Kind = ErrAccessDenied
		fe.Message = fmt.Sprintf("STS rejected the token of %s for role %s (%s: %s); register the cluster's OIDC issuer "+
			"as an IAM identity provider in the role's account with audience sts.amazonaws.com, and set "+
			"tokenAttributes.serviceAccountTokenAudience: sts.amazonaws.com in kubelet's credential provider config. "+
			"The node's identity is not used instead",
			who, pod.RoleARN, code, msg)
	case "ExpiredTokenException", "ExpiredToken":
		fe.Kind = ErrExpiredCredentials
		fe.Message = fmt.Sprintf("STS says the token of %s for role %s has expired (%s: %s; its exp claim is %s); "+
			"kubelet passes fresh tokens, so check this node's clock. The node's identity is not used instead",
			who, pod.RoleARN, code, msg, pod.ExpiresAt.Format(time.RFC3339))
	default:
		return nil
	}
	fe.Message = local.RedactWith(fe.Message, pod.Token())
	fe.Detail = local.RedactWith(err.Error(), pod.Token())
	return fe
}

// scrubbed is an error whose text never contains secret.
type scrubbed struct {
	err    error
	secret string
}

func (s scrubbed) Error() string { return local.RedactWith(s.err.Error(), s.secret) }
func (s scrubbed) Unwrap() error { return s.err }

// sessionEntry is the cache entry of an assumed-role session.
func sessionEntry(id Identity, c aws.Credentials, requested time.Time) cache.Entry {
	return cache.Entry{Service: SessionService, IdentityID: id.ID, Identity: "session of " + id.Description,
		Username: c.AccessKeyID, Password: c.SecretAccessKey + "\n" + c.SessionToken,
		RequestedAt: requested, ExpiresAt: c.Expires}
}
