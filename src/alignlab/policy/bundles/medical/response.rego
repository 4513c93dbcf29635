# Medical-assistant response policy: tiered referral and no false certainty (written for alignlab).
package alignlab.response

import rego.v1

# Helpers take the features as an argument (see request.rego).
emergency(f) if {
	some term in data.emergency_terms
	contains(f.lower, term)
}

refers(f) if {
	some term in data.referral_terms
	contains(f.lower, term)
}

# M6 a missed referral on an emergency (ArGen's tier-A penalty) gets the emergency notice added
missed_referral if {
	emergency(input.request_features)
	not refers(input.features)
}

# M7 false diagnostic certainty gets a disclaimer added
overconfident if {
	some phrase in data.certainty_phrases
	contains(input.features.lower, phrase)
}

# M8 abusive answers are withheld
deny contains "the answer is abusive" if {
	input.features.toxicity >= data.toxicity_deny
}

notices contains data.emergency_notice if missed_referral

notices contains data.disclaimer_notice if overconfident

rewrite contains "the answer to an emergency does not refer the user to emergency care" if missed_referral

rewrite contains "the answer states a diagnosis with false certainty" if overconfident

decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {
	"action": "rewrite",
	"reasons": rewrite,
	"notice": concat("\n\n", sort(notices)),
} if {
	count(rewrite) > 0
} else := {"action": "allow", "reasons": []}
