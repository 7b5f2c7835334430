// cprof-otelcol: a minimal OpenTelemetry Collector for cprof's tests and for trying the OTLP
// export by hand. It is the real Collector (otelcol, the OTLP receiver, the debug exporter, the
// service with the profiles signal behind its feature gate) and one exporter of its own, "cprofile", that writes
// every batch of profiles it receives into a directory as one binary ExportProfilesServiceRequest
// (<dir>/<n>.pb, renamed into place when complete), which the tests decode with the official
// Java classes. A contrib file exporter would do the same, but would pull in the whole contrib
// dependency tree for one signal; this one is 80 lines of the Collector's own API.
//
// Build: scripts/otelcol/build.sh (cached under ~/.cache/cprof-test/). Run:
//
//	cprof-otelcol --config config.yaml --feature-gates=service.profilesSupport
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/xexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// Config of the cprofile exporter: the directory the batches go into, and the request headers
// to record beside each batch (<n>.headers, "name: value" lines; needs include_metadata: true
// on the receiver), so a test can see what a client sent.
type Config struct {
	Directory string   `mapstructure:"directory"`
	Headers   []string `mapstructure:"headers"`
}

func (c *Config) Validate() error {
	if c.Directory == "" {
		return errors.New("cprofile: directory is required")
	}
	return nil
}

type fileExporter struct {
	dir     string
	headers []string
	n       atomic.Int64
}

func (e *fileExporter) Start(context.Context, component.Host) error {
	return os.MkdirAll(e.dir, 0o755)
}

func (e *fileExporter) Shutdown(context.Context) error { return nil }

func (e *fileExporter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (e *fileExporter) ConsumeProfiles(ctx context.Context, pd pprofile.Profiles) error {
	m := pprofile.ProtoMarshaler{}
	b, err := m.MarshalProfiles(pd)
	if err != nil {
		return err
	}
	n := e.n.Add(1)
	final := filepath.Join(e.dir, fmt.Sprintf("%06d.pb", n))
	if len(e.headers) > 0 {
		var sb strings.Builder
		info := client.FromContext(ctx)
		for _, h := range e.headers {
			for _, v := range info.Metadata.Get(h) {
				fmt.Fprintf(&sb, "%s: %s\n", h, v)
			}
		}
		if err := os.WriteFile(filepath.Join(e.dir, fmt.Sprintf("%06d.headers", n)), []byte(sb.String()), 0o644); err != nil {
			return err
		}
	}
	tmp := final + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "cprofile: %s: %d resource profiles, %d samples, %d bytes\n",
		final, pd.ResourceProfiles().Len(), pd.SampleCount(), len(b))
	return os.Rename(tmp, final)
}

func newFileExporterFactory() exporter.Factory {
	return xexporter.NewFactory(
		component.MustNewType("cprofile"),
		func() component.Config { return &Config{} },
		xexporter.WithProfiles(func(_ context.Context, _ exporter.Settings, cfg component.Config) (xexporter.Profiles, error) {
			c := cfg.(*Config)
			return &fileExporter{dir: c.Directory, headers: c.Headers}, nil
		}, component.StabilityLevelDevelopment),
	)
}

func components() (otelcol.Factories, error) {
	var err error
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](newFileExporterFactory(), debugexporter.NewFactory()); err != nil {
		return f, err
	}
	return f, nil
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "cprof-otelcol", Description: "OpenTelemetry Collector for cprof's tests", Version: "0.165.0"},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
			},
		},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
