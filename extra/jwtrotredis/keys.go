package jwtrotredis

import (
	"encoding/base64"
	"strconv"

	"github.com/redis/rueidis"
)

// Keys are the prefix, a letter for the kind of entry, and the subject or
// jti in base64url: a name may hold any byte, but a key then holds no
// brace, so no subject or jti can form a hash tag, and keys spread over a
// cluster's slots by their whole name.
//
//	<prefix>s:<base64url(sub)>  subject: "not before", Unix nanoseconds
//	                            (older versions: Unix seconds, < 10^12)
//	<prefix>j:<base64url(jti)>  jti: revoked
//	<prefix>u:<base64url(jti)>  jti: uses consumed
//	<prefix>e:{<tag>}           a primary's epoch marker (loss.go)
func (r *Revoker) key(kind byte, name string) string {
	b := make([]byte, 0, len(r.prefix)+2+base64.RawURLEncoding.EncodedLen(len(name)))
	b = append(b, r.prefix...)
	b = append(b, kind, ':')
	return string(base64.RawURLEncoding.AppendEncode(b, []byte(name)))
}

const (
	kindSubject = 's'
	kindID      = 'j'
	kindUses    = 'u'
)

// raiseNotBefore sets a subject's "not before" (ARGV[1], Unix
// nanoseconds) and its expiry (ARGV[2], Unix seconds) unless a later one is
// recorded: an older revocation never lowers a newer one. Lua's numbers
// are doubles, exact only to 2^53, so the instants are compared as decimal
// strings (no sign, no leading zero: the longer is the larger); a value an
// older version wrote in seconds is read as its second's first
// nanosecond. It returns 1 if it wrote.
var raiseNotBefore = rueidis.NewLuaScript(raiseNotBeforeSource)

const raiseNotBeforeSource = luaLater + `
local cur = redis.call('GET', KEYS[1])
if cur and #cur < 13 then cur = cur .. '000000000' end
if cur and not later(ARGV[1], cur) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
return 1
`

// luaLater defines later(a, b): whether the decimal a is above b.
const luaLater = `
local function later(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
`

// raiseLoss raises the loss instant of an epoch marker ("created:lost")
// to ARGV[1], creating the marker if it is gone. It returns 1 if it wrote.
var raiseLoss = rueidis.NewLuaScript(luaLater + `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[1])
  return 1
end
local created, lost = string.match(cur, '^(%d+):(%d+)$')
if not created then return redis.error_reply('jwtrotredis: not an epoch marker') end
if not later(ARGV[1], lost) then return 0 end
redis.call('SET', KEYS[1], created .. ':' .. ARGV[1])
return 1
`)

// consumeUse counts one use of a token if fewer than ARGV[1] were counted,
// keeping the count until ARGV[2] (Unix seconds). It returns 1 for an
// accepted use, 0 for a used-up token; the count never exceeds the cap.
var consumeUse = rueidis.NewLuaScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], n + 1, 'EXAT', ARGV[2])
return 1
`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
