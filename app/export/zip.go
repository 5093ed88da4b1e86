package export

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// writeZip packs the bundle folder root (as the folder name in the zip)
// into zipPath, via a temporary file renamed at the end. Audio is stored
// (it does not deflate usefully), text is deflated; the manifest goes last.
func writeZip(ctx context.Context, root, name, zipPath string, files []File) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(zipPath), "."+filepath.Base(zipPath)+".partial-")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	rels := make([]string, 0, len(files)+1)
	for _, f := range files {
		rels = append(rels, f.Path)
	}
	rels = append(rels, ManifestFile, ManifestSumFile)
	for _, rel := range rels {
		if err := ctx.Err(); err != nil {
			return err
		}
		method := zip.Deflate
		switch strings.ToLower(filepath.Ext(rel)) {
		case ".wav", ".flac", ".mp3", ".png":
			method = zip.Store
		}
		src := filepath.Join(root, filepath.FromSlash(rel))
		st, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("export: zip: %w", err)
		}
		hdr := &zip.FileHeader{Name: name + "/" + rel, Method: method, Modified: st.ModTime()}
		hdr.SetMode(0o644)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("export: zip %q: %w", zipPath, err)
		}
		in, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("export: zip: %w", err)
		}
		_, err = io.Copy(w, in)
		in.Close()
		if err != nil {
			return fmt.Errorf("export: zip %q: %w", zipPath, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: zip %q: %w", zipPath, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("export: sync %q: %w", zipPath, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: close %q: %w", zipPath, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), zipPath); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
