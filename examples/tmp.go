package examples
import (
	_ "go.temporal.io/server/temporaltest"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/contrib/envconfig"
	_ "github.com/stretchr/testify/require"
	_ "github.com/orderflow/orderflow"
)
